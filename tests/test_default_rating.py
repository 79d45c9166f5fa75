"""Default ratings (portal_default_rating): a reply the person leaves unrated is rated by the
jurisdiction's default after its period, by the overdue sweep, through the engine, marked as
given by default. Every person here is invented."""
from __future__ import annotations

from datetime import date

from portal import stats
from portal.contracts import DefaultRating, JurisdictionSpec
from portal.engine import cases as engine
from portal.extensions import db
from portal.hookspecs import hookimpl
from portal.stats import rollup
from portal.sweep import default_rating_due, sweep
from portal.toolkit import JurisdictionPlugin

from .conftest import shanghai
from .factories import file, login, staff

A = engine.Actor.staff


class Lenient(JurisdictionPlugin):
    """An invented county that rates unrated replies 4 满意 after 3 working days."""

    code = "lenient"

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="lenient", name_zh="宽和县", name_en="Lenient County", level="county",
                                 case_prefix="LNT")]

    @hookimpl
    def portal_default_rating(self, jurisdiction):
        return DefaultRating(days=3, level=4, counting="working", rule="Lenient: 3 working days, then satisfied",
                             rule_zh="宽和县：3个工作日内未评价的，默认为满意")


def _replied(code: str, replied_at, filed_at=None):
    clerk = staff(f"{code}-clerk", "clerk", code)
    case = file(code, now=filed_at or replied_at).case
    if code.startswith("qingcheng"):
        engine.perform(case, "classify", A(clerk), params={"category": "complex"}, now=replied_at)
    engine.perform(case, "reply", A(clerk), note="已为您办理完毕。", now=replied_at)
    return case


def test_hook_portal_default_rating_is_scoped_and_counts_working_days(make_app):
    app = make_app(PORTAL_JURISDICTIONS=["kunming", "qingcheng"], PORTAL_EXTRA_PLUGINS={"lenient": Lenient()})
    with app.app_context():
        host = app.extensions["portal_plugins"]
        assert host.for_jurisdiction("kunming").portal_default_rating() is None  # the core default
        assert host.for_jurisdiction("lenient").portal_default_rating().level == 4
        assert host.for_jurisdiction("qingcheng").portal_default_rating().days == 7  # not Lenient's
        # Replied Thursday 2026-04-30 10:00; 1-5 May are the Labour Day holidays, so the three
        # working days are 6, 7 and 8 May: the default applies after 24:00 on 8 May.
        case = _replied("lenient", shanghai(2026, 4, 30, 10, 0))
        kunming = _replied("kunming", shanghai(2026, 4, 30, 10, 0))
        policy = host.for_jurisdiction("lenient").portal_default_rating()
        assert default_rating_due(case, policy).date() == date(2026, 5, 8)
        assert sweep(shanghai(2026, 5, 8, 23, 0))["defaulted"] == 0
        assert sweep(shanghai(2026, 5, 9, 8, 0))["defaulted"] == 1
        assert [(r.level, r.source) for r in case.ratings] == [(4, "default")]
        assert kunming.ratings == []  # no policy in Kunming: an unrated reply stays unrated


def test_rule_guangdong_unrated_reply_is_basically_satisfied_after_7_calendar_days_seed004(app):
    """Qingcheng is in Guangdong: replied Wednesday 30 September 2026, not rated. The 7 calendar
    days run straight through the National Day holidays (1-7 October): the reply day does not
    count, the period ends at 24:00 on 7 October, and the sweep rates it 基本满意 from 8 October."""
    case = _replied("qingcheng", shanghai(2026, 9, 30, 15, 0), filed_at=shanghai(2026, 9, 28, 9, 0))
    assert case.state == "completed"
    policy = engine.plugins().for_jurisdiction("qingcheng").portal_default_rating()
    assert (policy.days, policy.counting, policy.level) == (7, "calendar", 3)
    assert default_rating_due(case, policy).date() == date(2026, 10, 7)  # 7 working days would be 15 October
    assert sweep(shanghai(2026, 10, 7, 23, 59))["defaulted"] == 0  # still the person's to rate
    assert engine.can_rate(case)
    result = sweep(shanghai(2026, 10, 8, 0, 5))
    assert result["defaulted"] == 1
    (rating,) = case.ratings
    assert (rating.level, rating.source) == (3, "default")
    assert case.state == "evaluated"  # the workflow's own rate step
    ev = case.events[-1]
    assert (ev.action, ev.actor_role, ev.actor_id) == ("rate", "system", None)
    assert ev.data["defaulted"] is True and ev.data["level"] == 3 and "7 calendar days" in ev.data["rule"]
    assert "7个自然日" in ev.data["rule_zh"]
    assert not engine.can_rate(case)  # the reply is rated now; the person cannot rate it again
    # idempotent: the next runs change nothing
    assert sweep(shanghai(2026, 10, 8, 0, 10))["defaulted"] == 0
    assert sweep(shanghai(2026, 10, 20, 9, 0))["defaulted"] == 0
    assert len(case.ratings) == 1 and sum(e.action == "rate" for e in case.events) == 1


def test_a_rated_reply_is_never_rated_by_default_and_a_new_reply_gets_a_new_period(app):
    rated = _replied("qingcheng", shanghai(2026, 3, 2, 10, 0))
    engine.rate(rated, 5, comment="很满意", now=shanghai(2026, 3, 3, 10, 0))
    bad = _replied("qingcheng-fengcheng", shanghai(2026, 3, 2, 10, 0))
    engine.rate(bad, 1, comment="还是没办成", now=shanghai(2026, 3, 3, 10, 0))
    assert bad.state == "rectifying"
    clerk = staff("qcf-clerk2", "clerk", "qingcheng-fengcheng")
    engine.perform(bad, "reply", A(clerk), note="已重新核查并办结。", now=shanghai(2026, 3, 6, 10, 0))
    assert sweep(shanghai(2026, 3, 13, 12, 0))["defaulted"] == 0  # the new reply's 7 days end on 13 March
    assert sweep(shanghai(2026, 3, 14, 0, 1))["defaulted"] == 1
    assert [(r.level, r.source) for r in bad.ratings] == [(1, "public"), (3, "default")]
    assert [(r.level, r.source) for r in rated.ratings] == [(5, "public")]


def test_a_default_rating_counts_in_the_transparency_roll_ups_like_any_rating(app):
    case = _replied("qingcheng", shanghai(2026, 3, 2, 10, 0))
    sweep(shanghai(2026, 3, 10, 8, 0))
    facts = rollup.current_cases()[case.id]
    assert facts.rating == 3
    before = (rollup.current_rows(), rollup.current_cases())
    stats.rebuild()
    assert (rollup.current_rows(), rollup.current_cases()) == before  # incremental == rebuilt


def test_tracking_and_staff_pages_say_the_rating_was_given_by_default(app):
    case = _replied("qingcheng", shanghai(2026, 3, 2, 10, 0))
    sweep(shanghai(2026, 3, 10, 8, 0))
    client = app.test_client()
    with client.session_transaction() as s:
        s["tracked"] = [case.number]
    en = client.get(f"/track/{case.number}?lang=en").get_data(as_text=True)
    assert "Rating given by default" in en and "Basically satisfied" in en
    assert "You did not rate our reply in time" in en
    assert "Guangdong: a reply not rated within 7 calendar days" in en and "DOMAIN" not in en
    assert "Rated by default: no rating was given in time" in en  # the timeline
    assert "Rate the outcome" not in en
    zh = client.get(f"/track/{case.number}?lang=zh_Hans").get_data(as_text=True)
    assert "您未在期限内对答复作出评价，已按本地规则默认评价。" in zh and "默认评价：未在期限内评价" in zh
    assert "基本满意" in zh and "广东省：答复后7个自然日内未评价的" in zh
    assert "Guangdong" not in zh
    sup = staff("qc-sup-d", "supervisor", "qingcheng")
    desk = app.test_client()
    login(desk, sup.username)
    page = desk.get(f"/staff/cases/{case.number}?lang=en").get_data(as_text=True)
    assert page.count("Given by default") >= 2  # the rating and its event
    assert "Not given by the person" in page and "Guangdong: a reply not rated within 7 calendar days" in page
    assert "DOMAIN" not in page  # no internal tag, on staff pages either
    assert "defaulted:" not in page and "rule_zh" not in page and "rule_source" not in page
    # the rule carries its source on both pages, like every time limit (found by review)
    assert "Source: Government-service good/bad rating system (State Council General Office 2019 No. 51)" in en
    assert "Source: Government-service good/bad rating system" in page
    assert "依据：" in zh and "政务服务“好差评”制度（国办发〔2019〕51号）广东省默认评价规则" in zh


def test_the_person_still_rates_normally_and_cannot_pass_for_the_default(app):
    case = _replied("qingcheng", shanghai(2026, 3, 2, 10, 0))
    engine.perform(case, "rate", engine.PUBLIC, params={"level": 4, "source": "default"},
                   now=shanghai(2026, 3, 3, 10, 0))
    assert [(r.level, r.source) for r in case.ratings] == [(4, "public")]
    assert "defaulted" not in case.events[-1].data
    db.session.commit()
