"""PyTorch, the reference every other framework is compared with."""
