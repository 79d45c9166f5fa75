"""The journeys' own checks are not vacuous: a Content-Security-Policy violation and an
uncaught script error on a page are caught and reported with the page's address."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_a_csp_violation_and_a_script_error_are_reported(journey_factory):
    journey = journey_factory("checks")
    visitor = journey.actor("visitor")
    page = visitor.page
    visitor.goto("/")
    visitor.check_clean()
    # An inline script: the portal's policy (script-src 'self') must block it, and we must see that.
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
                  " document.body.appendChild(s); }")
    page.wait_for_function("() => (window.__cspViolations || []).length > 0")
    assert page.evaluate("window.__ran") is None, "an inline script ran: the CSP does not block inline scripts"
    with pytest.raises(AssertionError, match="CSP"):
        visitor.check_clean()
    journey.console.clear()
    journey.extra_problems.clear()
    page.evaluate("() => setTimeout(() => { throw new Error('boom from the page'); }, 0)")
    page.wait_for_timeout(200)
    with pytest.raises(AssertionError, match="boom from the page"):
        journey.assert_clean()
    journey.extra_problems.clear()
