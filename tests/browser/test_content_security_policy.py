"""The dashboard runs under its own Content Security Policy (no inline or eval'd script, no framing)."""

from __future__ import annotations

from typing import Any

from .conftest import DRAWN_TIMEOUT_MS


def test_the_dashboard_draws_and_goes_live_with_its_policy_enforced(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 1600, "height": 900}, locale="zh-CN")
    page = context.new_page()
    violations: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(server + "/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert (
        "frame-ancestors 'none'" in policy
        and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    )
    page.wait_for_selector("body[data-drawn='true']", state="attached", timeout=DRAWN_TIMEOUT_MS)
    page.wait_for_selector("#conn[data-state='live']", state="attached", timeout=20_000)
    context.close()
    assert violations == [] and errors == [], (violations, errors)
