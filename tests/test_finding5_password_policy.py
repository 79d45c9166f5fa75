"""Issue 14, finding 5 (passwords), part 3: common and breached-pattern passwords are refused
beside the length rule, and so are passwords containing the user's, the portal's or the
jurisdiction's name. No source report speaks to passwords: the length (10) and zxcvbn score (3)
are the portal's configurable defaults (PORTAL_PASSWORD_MIN_LENGTH, PORTAL_PASSWORD_MIN_SCORE).
The Chinese entries follow the studies cited in portal/data/common_passwords_zh.txt (Li, Han & Xu,
USENIX Security 2014; Wang, Wang, He & Tian, USENIX Security 2019). Every person here is invented."""
from __future__ import annotations

import socket

import pytest
from flask_babel import force_locale

from portal import password_policy as policy
from portal.config import from_environ
from portal.staff.users import UserError, create_staff_user

from .factories import jurisdiction

COMMON = "This is one of the most common passwords"
RUNS = "Runs and keyboard rows"
REPEATS = "Repeated characters or groups"
NAME = "must not contain the user name or the name of the portal or jurisdiction"


def refusal(password, names=()):
    """The reason in English. Outside a request it follows the portal's default language (zh_Hans,
    as the CLI shows it), inside one the user's (test_finding5_change_password.py)."""
    with force_locale("en"):
        return policy.refusal(password, names)


@pytest.mark.parametrize("password,told", [
    # the examples of the finding, with the length rule lowered to 8 so that the pattern is what refuses them
    ("12345678", RUNS), ("qwertyui", RUNS), ("password1", COMMON), ("Aa123456", RUNS),
    ("woaini1314", COMMON), ("5201314520", None), ("qq123456789", RUNS), ("1qaz2wsx3edc", COMMON),
    ("1314520woaini", COMMON), ("aaaaaaaaaa", REPEATS), ("19900101abc", "Dates and years"),
])
def test_finding5_common_and_pattern_passwords_are_refused_beside_the_length_rule(make_app, password, told):
    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_PASSWORD_MIN_LENGTH=8)
    with app.app_context():
        reason = refusal(password)
    assert reason is not None, password
    assert "at least" not in reason
    if told:
        assert told in reason


@pytest.mark.parametrize("password", ["1234567890", "qwertyuiop", "password12", "Aa12345678", "woaini1314",
                                      "P@ssw0rd2024", "iloveyou1314"])
def test_finding5_the_default_rule_refuses_the_top_passwords_of_ten_characters(core_app, password):
    assert refusal(password) is not None


@pytest.mark.parametrize("password", ["correct-horse-battery", "plum-lantern-harbour-47", "Xy9#kqP2mR!v-3"])
def test_finding5_strong_passwords_pass(core_app, password):
    assert refusal(password, policy.context_names("fx-clerk", jurisdiction("demo"))) is None


def test_finding5_the_length_rule_still_holds_and_says_so(core_app):
    assert refusal("Xy9#kqP2") == "Use at least 10 characters."
    assert refusal("x" * 201) == "Use at most 200 characters."


def test_finding5_names_of_the_user_portal_and_jurisdiction_are_refused(app):
    dazhou = jurisdiction("dazhou")
    names = policy.context_names("zhangsan-clerk", dazhou, "张三")
    for password in ("zhangsan-rocks-2026!", "Dazhou#Ledger-Kite-9", "my-BANCHENG-kite-77", "办成河边的风筝2026xyz",
                     f"{dazhou.name_zh}风筝-kite-2026"):
        reason = refusal(password, names)
        assert reason is not None and NAME in reason, password
    assert refusal("harbour-kite-lantern-9", names) is None


def test_finding5_the_rule_makes_no_network_call(core_app, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the password rule must not reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert refusal("woaini1314!!") is not None
    assert refusal("plum-lantern-harbour-47") is None


def test_finding5_the_cli_and_create_staff_user_apply_the_rule(app):
    with force_locale("en"), pytest.raises(UserError, match=COMMON):
        create_staff_user(username="fx-weak", password="password123", role="clerk", jurisdiction_code="beijing")
    with force_locale("en"), pytest.raises(UserError, match=NAME):
        create_staff_user(username="fx-named", password="fx-named-harbour-9", role="clerk", jurisdiction_code="beijing")
    r = app.test_cli_runner().invoke(args=["portal", "create-user", "fx-cli", "--role", "clerk", "--jurisdiction",
                                           "beijing"], input="qwertyuiop123\nqwertyuiop123\n")
    assert r.exit_code != 0 and "键盘连续键位" in r.output  # the portal's default language


def test_finding5_generated_passwords_pass_the_rule_even_when_longer_ones_are_asked(make_app):
    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_PASSWORD_MIN_LENGTH=24)
    with app.app_context():
        for _ in range(20):
            password = policy.generate(policy.context_names("fx-clerk", jurisdiction("demo")))
            assert len(password) >= 24 and refusal(password) is None


def test_finding5_the_rule_is_configurable_from_the_environment():
    assert from_environ({"PORTAL_PASSWORD_MIN_LENGTH": "14", "PORTAL_PASSWORD_MIN_SCORE": "4"}) == {
        "PORTAL_PASSWORD_MIN_LENGTH": 14, "PORTAL_PASSWORD_MIN_SCORE": 4}
