"""Cases, their append-only events, stage deadlines, ratings, visits and attachments."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Index,
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .encrypted import EncryptedText
from .org import Department, Jurisdiction, ServiceCentre, Window
from .staff import StaffUser

case_co_department = Table(
    "case_co_department",
    db.metadata,
    Column("case_id", ForeignKey("case.id"), primary_key=True),
    Column("department_id", ForeignKey("department.id"), primary_key=True),
)


class CaseSequence(db.Model):
    """Per-prefix, per-year counter for readable, unique public case numbers."""

    __tablename__ = "case_sequence"
    prefix: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Case(db.Model):
    __tablename__ = "case"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    access_code_hash: Mapped[str] = mapped_column(String(256))
    # Keyed hash of the one-time submission id of the public form that filed the case (NULL for
    # staff intake and older cases): the unique index makes a double-click file only once.
    submission_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("service_centre.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("service_window.id"))
    channel: Mapped[str] = mapped_column(String(30))
    # private: never on a public page, in the index, an export or the API; stored encrypted
    # under the data key (portal/datakeys.py), phone and ID number found by their blind index
    complainant_name: Mapped[str] = mapped_column(EncryptedText("case.complainant_name"), default="")
    complainant_phone: Mapped[str] = mapped_column(EncryptedText("case.complainant_phone"), default="")
    complainant_id_number: Mapped[str] = mapped_column(EncryptedText("case.complainant_id_number"), default="")
    complainant_address: Mapped[str] = mapped_column(EncryptedText("case.complainant_address"), default="")
    complainant_phone_hash: Mapped[str | None] = mapped_column(String(96), index=True)
    complainant_id_number_hash: Mapped[str | None] = mapped_column(String(96), index=True)
    contact_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    matter: Mapped[str] = mapped_column(String(200))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("service_guide.id"))
    description: Mapped[str] = mapped_column(Text)
    public_summary: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    complexity: Mapped[str] = mapped_column(String(30), default="general")
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(30), index=True)
    workflow: Mapped[str] = mapped_column(String(40))
    escalation_tier: Mapped[str] = mapped_column(String(40), default="")
    first_receiver_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(40), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the active stage deadline, copied here for fast queues; history lives in CaseDeadline
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    __mapper_args__ = {"version_id_col": version}

    jurisdiction: Mapped[Jurisdiction] = relationship()
    centre: Mapped[ServiceCentre | None] = relationship()
    window: Mapped[Window | None] = relationship()
    first_receiver: Mapped[StaffUser | None] = relationship()
    lead_department: Mapped[Department | None] = relationship()
    co_departments: Mapped[list[Department]] = relationship(secondary=case_co_department)
    events: Mapped[list["CaseEvent"]] = relationship(back_populates="case", order_by="CaseEvent.id")
    deadlines: Mapped[list["CaseDeadline"]] = relationship(back_populates="case", order_by="CaseDeadline.id")
    ratings: Mapped[list["Rating"]] = relationship(back_populates="case", order_by="Rating.id")
    visits: Mapped[list["ReturnVisit"]] = relationship(back_populates="case", order_by="ReturnVisit.id")
    attachments: Mapped[list["Attachment"]] = relationship(back_populates="case", order_by="Attachment.id")

    @property
    def active_deadline(self) -> "CaseDeadline | None":
        """The most recently started running clock (the only one under the core's workflow)."""
        for d in reversed(self.deadlines):
            if d.active:
                return d
        return None

    @property
    def running_deadlines(self) -> list["CaseDeadline"]:
        """Every clock running now, one row per clock, in the order they started."""
        return [d for d in self.deadlines if d.active]

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


@event.listens_for(Case.complainant_phone, "set")
def _index_phone(target, value, oldvalue, initiator):
    from ..datakeys import keyring

    target.complainant_phone_hash = keyring().blind_index("case.complainant_phone", value)


@event.listens_for(Case.complainant_id_number, "set")
def _index_id_number(target, value, oldvalue, initiator):
    from ..datakeys import keyring

    target.complainant_id_number_hash = keyring().blind_index("case.complainant_id_number", value)


def complainant_is(value: str):
    """WHERE clause: the complainant's phone or ID number is exactly ``value`` (as normalised),
    matched through the blind index under every configured data key."""
    from ..datakeys import keyring

    ring = keyring()
    return or_(Case.complainant_phone_hash.in_(ring.blind_indexes("case.complainant_phone", value)),
               Case.complainant_id_number_hash.in_(ring.blind_indexes("case.complainant_id_number", value)))


class CaseDeadline(db.Model):
    """One run of a named clock (a stage deadline, a first response...), computed once when it
    starts and stored with its rule. ``days``, ``paused_days`` and ``extended_days`` are in the
    row's ``unit`` (working days, calendar days or working hours); a paused working-hour clock
    adds the working minutes it stood still (``paused_minutes``)."""

    __tablename__ = "case_deadline"
    #: the overdue sweep looks for running clocks past their due moment among every row ever
    #: written (superseded and met ones included): without this it scans the table each run
    __table_args__ = (Index("ix_case_deadline_active_due_at", "active", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    stage: Mapped[str] = mapped_column(String(30))
    clock: Mapped[str] = mapped_column(String(40), default="")  # the ClockSpec's code (= stage for stage clocks)
    unit: Mapped[str] = mapped_column(String(20), default="working_days")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    days: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unknown_years: Mapped[str] = mapped_column(String(60), default="")  # weekends-only years, flagged
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    extended_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # this clock stands still since
    paused_minutes: Mapped[int] = mapped_column(Integer, default=0)  # working-hour clocks only
    overdue_flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # the sweep flagged this run

    case: Mapped[Case] = relationship(back_populates="deadlines")

    @property
    def flagged(self) -> bool:
        return bool(self.unknown_years)

    def is_overdue(self, now: datetime) -> bool:
        if self.met_at is not None:
            return self.met_at > self.due_at
        return self.active and now > self.due_at


class CaseEvent(db.Model):
    """Append-only history: who did what, when, from which state to which."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[StaffUser | None] = relationship()


@event.listens_for(CaseEvent, "before_update")
@event.listens_for(CaseEvent, "before_delete")
def _events_are_append_only(mapper, connection, target):
    raise RuntimeError("case events are append-only")


class Rating(db.Model):
    """好差评: 5 非常满意 ... 1 非常不满意; 2 and 1 are bad ratings."""

    __tablename__ = "rating"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(20), default="public")  # public | visit | default

    case: Mapped[Case] = relationship(back_populates="ratings")

    @property
    def bad(self) -> bool:
        return self.level <= 2


class ReturnVisit(db.Model):
    __tablename__ = "return_visit"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))  # phone | in_person
    satisfaction: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="visits")


class Attachment(db.Model):
    """A file kept outside the web root under a generated name."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="attachments")


class Notification(db.Model):
    """One notice sent once: the unique key keeps the overdue sweep idempotent."""

    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("dedupe_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
