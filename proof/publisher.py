"""A supervisor publishing knowledge entries while the web workers serve (its own process).

`python -m proof.publisher --seconds 10 --interval 1 --out result.json` with the site's
PORTAL_* environment. Each round takes a case, proposes a solution practice from it,
confirms, records the fix and publishes (which writes the entry and then feeds the
index, competing with the workers for Whoosh's write lock). Writes the ids it
published and any errors as JSON.
"""
from __future__ import annotations

import argparse
import json
import random
import time
import traceback


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--title", default="负载测试解决办法")
    ap.add_argument("--count", type=int, default=0, help="stop after this many entries (0: run for --seconds)")
    args = ap.parse_args(argv)

    from sqlalchemy import select

    from portal import create_app
    from portal.extensions import db
    from portal.knowledge import pipeline
    from portal.models import Case, StaffUser

    rnd = random.Random(args.seed)
    app = create_app()
    published, errors = [], []
    deadline = time.monotonic() + args.seconds
    with app.app_context():
        supervisors = db.session.scalars(select(StaffUser).where(StaffUser.role == "supervisor")).all()
        n = 0
        while time.monotonic() < deadline and not (args.count and len(published) >= args.count):
            n += 1
            try:
                cases = db.session.scalars(select(Case).order_by(Case.id.desc()).limit(50)).all()
                pairs = [(c, s) for c in cases for s in supervisors if c.jurisdiction_id in s.visible_jurisdiction_ids()]
                if not pairs:
                    time.sleep(args.interval)
                    continue
                case, sup = rnd.choice(pairs)
                c = pipeline.propose(user=sup, case=case, guide=None, kind="practice", field="", wrong_text="",
                                     corrected_text="", cause="负载测试",
                                     title=f"{args.title} {n}：{case.matter}窗口一次办结",
                                     title_en=f"Load-test practice {n}",
                                     summary=f"第{n}条：{case.matter}材料不全时窗口先收件后补正，避免群众来回跑。",
                                     summary_en="Accept first, complete the papers later.")
                pipeline.confirm(c, sup)
                pipeline.record_fix(c, sup, "窗口已按新做法办理")
                entry = pipeline.publish(c, sup)
                published.append(entry.id)
            except Exception as exc:  # noqa: BLE001 - reported, not hidden
                db.session.rollback()
                errors.append(f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}")
            if not (args.count and len(published) >= args.count):
                time.sleep(args.interval * (0.5 + rnd.random()))
        db.session.remove()
        db.engine.dispose()
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"published": published, "errors": errors}, f, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
