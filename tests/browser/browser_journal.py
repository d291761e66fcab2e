"""What the browser saw while loading pages: console errors, failed and off-site requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, Response

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Schemes that never touch the network.
OFFLINE_SCHEMES = {"data", "blob", "about"}


def leaves_localhost(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in OFFLINE_SCHEMES:
        return False
    return parts.hostname not in LOCAL_HOSTS


def is_favicon_probe(url: str) -> bool:
    """Chromium's own request for /favicon.ico at the host root, made when a page names no icon.

    The root belongs to the host (GitHub Pages, Read the Docs), not to this site, so its 404 is
    not a page error; a page's own icon link is checked like any other request.
    """
    return urlsplit(url).path == "/favicon.ico"


@dataclass
class Journal:
    """Problems seen in the browser since the last :meth:`clear`.

    The browser's proxy is a dead local port (see conftest), so off-site requests fail exactly as
    they would for a reader without network; here they are recorded by URL.
    """

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("request", self._on_request)
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self.page_errors.append(str(error.error)))
        context.on("requestfailed", self._on_request_failed)
        context.on("response", self._on_response)
        context.on("page", self.watch_page)

    def watch_page(self, page: Page) -> None:
        page.on("websocket", lambda ws: self.external_requests.append(f"websocket {ws.url}"))

    def _on_request(self, request: Request) -> None:
        if leaves_localhost(request.url):
            self.external_requests.append(f"{request.method} {request.url}")

    def _on_console(self, message: ConsoleMessage) -> None:
        location = message.location.get("url", "")
        if message.type == "error" and not is_favicon_probe(location):
            self.console_errors.append(f"{message.text} ({location})")

    def _on_request_failed(self, request: Request) -> None:
        if not leaves_localhost(request.url):  # off-site ones are already reported as such
            self.failed_requests.append(f"{request.url}: {request.failure}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400 and not is_favicon_probe(response.url):
            self.bad_responses.append(f"{response.url}: HTTP {response.status}")

    def clear(self) -> None:
        for entries in (
            self.console_errors,
            self.page_errors,
            self.failed_requests,
            self.bad_responses,
            self.external_requests,
        ):
            entries.clear()

    def problems(self) -> list[str]:
        return (
            [f"console error: {entry}" for entry in self.console_errors]
            + [f"page error: {entry}" for entry in self.page_errors]
            + [f"failed request: {entry}" for entry in self.failed_requests]
            + [f"bad response: {entry}" for entry in self.bad_responses]
            + [f"request leaving localhost: {entry}" for entry in self.external_requests]
        )
