"""``build/html/index.html``: sends the reader to the language their browser prefers."""

from __future__ import annotations

from pathlib import Path

LANDING = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>optbridge</title>
<link rel="icon" href="en/_static/favicon.svg" type="image/svg+xml">
<script>
  // Chinese readers go to zh_CN, everyone else to en; the links below work without JavaScript.
  var lang = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  window.location.replace((/^zh/i.test(lang) ? "zh_CN" : "en") + "/index.html");
</script>
</head>
<body>
<h1>optbridge</h1>
<ul>
<li><a href="en/index.html" hreflang="en">English</a></li>
<li><a href="zh_CN/index.html" hreflang="zh-CN" lang="zh-CN">简体中文</a></li>
</ul>
</body>
</html>
"""


def write_landing(html_root: Path) -> Path:
    path = Path(html_root) / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LANDING, encoding="utf-8")
    return path
