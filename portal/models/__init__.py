"""All models, imported in one place so Alembic and the app see the same metadata."""
from .base import UTCDateTime, utcnow  # noqa: F401
from .cases import (  # noqa: F401
    Attachment,
    Case,
    CaseDeadline,
    CaseEvent,
    CaseSequence,
    Notification,
    Rating,
    ReturnVisit,
    case_co_department,
)
from .guides import GuideMaterial, GuideVersion, ServiceGuide  # noqa: F401
from .knowledge import CORRECTION_STATES, GuideCorrection, KnowledgeEntry, correction_case  # noqa: F401
from .org import Department, Jurisdiction, ServiceCentre, Window  # noqa: F401
from .records import (  # noqa: F401
    AccountabilityRecord,
    AuditLog,
    CalendarDay,
    CalendarYear,
    ScreeningRecord,
)
from .staff import LoginThrottle, StaffUser  # noqa: F401
from .staffwork import CannedReply  # noqa: F401
from .stats import StatsCase, StatsMonth, stats_case, stats_month  # noqa: F401
