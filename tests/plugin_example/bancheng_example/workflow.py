"""Example County's closed loop (FICTIONAL, see rules.py): 登记 → 首次响应 → 研判 → 交办 → 办理 →
答复 → 回访/办结, with what the person reads at each step and two clocks running from filing."""
from __future__ import annotations

from portal.toolkit import (
    ClockSpec,
    StateSpec,
    Workflow,
    clock_transitions,
    public_state,
    stage_clocks,
    transition,
)

from .rules import FIRST_RESPONSE

STAFF = ("clerk", "handler", "supervisor")
DESK = ("clerk", "supervisor", "coordinator")  # the coordination officer works at the desk
OPEN = ("registered", "responded", "assessed", "assigned", "handled", "rectifying")
RATABLE = ("replied", "visited", "closed")

STATES = (
    StateSpec("registered", "已登记", "Registered", stage="reply",
              public_label_zh="已登记", public_label_en="Registered",
              public_explanation_zh="您的诉求已登记，协调专员将在2个工作小时内与您联系并到现场了解情况。",
              public_explanation_en="Your case is registered. A coordination officer will contact you "
                                    "within 2 working hours and come to see the problem."),
    StateSpec("responded", "已首次响应", "First response given", stage="reply",
              public_label_zh="已响应", public_label_en="Responded",
              public_explanation_zh="协调专员已到现场了解情况，正在研判您的诉求。",
              public_explanation_en="A coordination officer has seen the problem and is assessing your case."),
    StateSpec("assessed", "已研判", "Assessed", stage="reply",
              public_label_zh="已研判", public_label_en="Assessed",
              public_explanation_zh="您的诉求已研判，将交有关部门办理。",
              public_explanation_en="Your case has been assessed and will be passed to the department concerned."),
    StateSpec("assigned", "已交办", "Assigned", stage="reply", **public_state("handling")),
    StateSpec("handled", "已办理", "Handled", stage="reply", **public_state("checking")),
    StateSpec("rectifying", "核查整改", "Verifying and rectifying", stage="rectify", next_step=False,
              **public_state("rectifying")),
    StateSpec("replied", "已答复", "Replied", **public_state("replied")),
    StateSpec("visited", "已回访", "Return visit done", **public_state("visited")),
    StateSpec("closed", "已办结", "Closed", done=True, **public_state("closed")),
    StateSpec("referred", "已告知渠道", "Explained and referred", done=True, next_step=False,
              **public_state("referred")),
    StateSpec("archived", "已归档", "Archived", terminal=True, done=True, **public_state("archived")),
)

TRANSITIONS = (
    # the first response: the coordination officer sees the problem on site (actions.py records it)
    transition("site_visit", ("registered",), "responded", DESK, "首次响应：实地走访", "First response: site visit",
               public=True, public_note=False),
    transition("classify", ("responded", "assessed"), "assessed", DESK, "研判", "Assess", public=False),
    transition("assign", ("assessed", "assigned", "rectifying"), "assigned", DESK, "交办部门", "Assign to a department",
               public=False),
    transition("report", ("assigned",), "handled", ("handler", "supervisor"), "报告办理结果", "Report the result",
               needs_note=True, public=True, public_note=False),
    transition("reply", ("responded", "assessed", "assigned", "handled", "rectifying"), "replied", DESK,
               "答复群众", "Reply to the person", needs_note=True, public=True, public_note=True),
    transition("refer", ("registered", "responded", "assessed"), "referred", DESK, "解释并告知渠道",
               "Explain and refer", needs_note=True, public=True, public_note=True),
    transition("escalate", OPEN, None, STAFF + ("coordinator", "system"), "提级督办", "Escalate", needs_note=True,
               public=False),
    *clock_transitions(OPEN),
    transition("note", OPEN + RATABLE + ("referred",), None, STAFF + ("coordinator",), "内部备注", "Internal note",
               needs_note=True, public=False),
    transition("rate", RATABLE, None, ("public",), "评价", "Rate"),
    transition("rate_bad", RATABLE, "rectifying", ("public",), "差评核查整改", "Bad rating: verify and rectify"),
    transition("return_visit", ("replied",), "visited", DESK, "回访", "Record return visit", public=True),
    transition("close", ("visited",), "closed", DESK, "办结", "Close", public=True),
    transition("archive", ("closed", "referred"), "archived", ("supervisor", "admin"), "归档", "Archive"),
)

#: Two clocks from filing: the first response in working hours, the reply in working days (its
#: limit asked from portal_time_limit, so complexity decides), and the core's rectification clock.
CLOCKS = (
    ClockSpec("first_response", "首次响应", "First response", starts_at_filing=True,
              stop_actions=("site_visit", "reply", "refer"), limit=FIRST_RESPONSE),
    ClockSpec("reply", "答复", "Reply", starts_at_filing=True, stop_states=("replied", "referred")),
    *[c for c in stage_clocks(STATES, "registered") if c.code == "rectify"],
)

WORKFLOW = Workflow(
    name="example", initial="registered", states=STATES, transitions=TRANSITIONS, clocks=CLOCKS,
    steps_zh=("登记", "首次响应", "研判", "交办", "办理", "答复", "回访办结"),
    steps_en=("Register", "First response", "Assess", "Assign", "Handle", "Reply", "Follow up and close"),
)
