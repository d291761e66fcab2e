"""tf.compat.v1.train.RMSPropOptimizer in a TF1 graph: a linear model, 10 steps on seeded data."""
import numpy as np
import tensorflow as tf

tf.compat.v1.disable_eager_execution()

rng = np.random.default_rng(0)
x = rng.standard_normal((16, 3)).astype(np.float32)
y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)

inputs = tf.compat.v1.placeholder(tf.float32, shape=(None, 3))
targets = tf.compat.v1.placeholder(tf.float32, shape=(None, 1))
weight = tf.compat.v1.get_variable("weight", initializer=np.array([[0.1], [-0.2], [0.3]], np.float32))
bias = tf.compat.v1.get_variable("bias", initializer=np.zeros(1, np.float32))
loss = tf.reduce_mean(tf.square(tf.matmul(inputs, weight) + bias - targets))
train_op = tf.compat.v1.train.RMSPropOptimizer(learning_rate=0.01).minimize(loss)

with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    for step in range(1, 11):
        loss_value, _ = sess.run([loss, train_op], feed_dict={inputs: x, targets: y})
        print(f"step {step:2d}  loss {loss_value:.6f}")
    print("weight", sess.run(weight).ravel())
    print("bias", sess.run(bias))
