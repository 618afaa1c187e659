"""The chaos suite's checks on hand-made outcomes (no I/O): justified and unjustified
failures, the 5xx rule, duplicates on retry, recovery and its bounds, the report table."""

from deploy.chaos import judge, report
from deploy.chaos.load import Booking
from deploy.chaos.scenarios import SHORT, chosen
from deploy.loadtest.retry import Attempt
from deploy.loadtest.targets import Target
from src.service.reservation.domain.reasons import NOT_ENOUGH_SEATS

NOT_ENOUGH = NOT_ENOUGH_SEATS


def row(i, status, q=1, seats=None, reason=None, created=0.0, updated=1.0, sub=1):
    seats = q if seats is None and status == "pending_payment" else (seats or 0)
    return judge.Row(f"b{i}", status, "S01", sub, q, seats, reason, created, updated)


def booking(*attempts: Attempt) -> Booking:
    return Booking("k", 0, Target(1, "S01", 1, 4), 1, list(attempts))


def ok(booking_id: str, replayed: bool = False) -> Attempt:
    return Attempt(202, {"id": booking_id}, "application/json", replayed)


def test_not_enough_seats_is_justified_only_when_the_subsection_was_short():
    rows = [row(1, "pending_payment", q=4, updated=1.0),
            row(2, "pending_payment", q=4, updated=2.0),
            row(3, "failed", q=3, reason=NOT_ENOUGH, updated=2.0),  # 10 - 8 = 2 free: justified
            row(4, "failed", q=2, reason=NOT_ENOUGH, updated=1.5)]  # 6 free: not justified
    got = judge.failure_verdicts(rows, seats_per_subsection=10, deadline_s=600)
    assert got["failed_with_free_seats"] == 1 and got["failed_other_reason"] == 0
    assert got["failed_by_reason"] == {NOT_ENOUGH: 2}
    assert got["failure_examples"][0].startswith("b4 S01:1 q2")


def test_an_expired_booking_held_its_seats_only_until_it_expired():
    rows = [row(1, "expired", q=4, seats=4, created=0.0, updated=5.0),  # held 0..5 s
            row(2, "pending_payment", q=4, updated=1.0),
            row(3, "failed", q=3, reason=NOT_ENOUGH, updated=2.0),  # 10 - 8 = 2 free: justified
            row(4, "failed", q=3, reason=NOT_ENOUGH, updated=6.0)]  # 6 free again: not justified
    got = judge.failure_verdicts(rows, seats_per_subsection=10, deadline_s=600)
    assert got["failed_with_free_seats"] == 1
    assert got["failure_examples"][0].startswith("b4 S01:1 q3")


def test_exception_texts_fail_and_the_deadline_only_after_the_deadline():
    rows = [row(1, "failed", reason="SeatConflict: seat 1-1 held"),
            row(2, "failed", reason="Booking could not be processed"),
            row(3, "failed", reason=judge.DEADLINE_REASON, created=0, updated=700),
            row(4, "failed", reason=judge.DEADLINE_REASON, created=0, updated=100)]
    got = judge.failure_verdicts(rows, 10, deadline_s=600)
    assert got["failed_other_reason"] == 3  # 1, 2 and the premature deadline 4
    assert got["failed_by_reason"]["SeatConflict: …"] == 1


def test_only_a_503_with_a_json_detail_is_an_acceptable_5xx():
    attempts = [Attempt(503, {"detail": "x"}, retry_after=1.0), Attempt(503, {"detail": "x"}),
                Attempt(500, None, "text/plain"), Attempt(502, {"detail": "x"}),
                Attempt(503, None), Attempt(0, error="ConnectionRefusedError"), ok("b1")]
    got = judge.response_checks(attempts)
    assert (got["bad_5xx"], got["503_without_retry_after"]) == (3, 1)
    assert got["connection_errors"] == {"ConnectionRefusedError": 1}
    assert got["responses_by_status"] == {"202": 1, "500": 1, "502": 1, "503": 3}


def test_a_retry_answered_with_another_id_is_a_duplicate():
    same = booking(Attempt(0, error="TimeoutError", ambiguous=True), ok("b1", replayed=True))
    other = booking(ok("b2"), Attempt(503, {"detail": "x"}), ok("b3"))
    got = judge.retry_checks([same, other], {"b1", "b2", "b3"})
    assert got["duplicate_on_retry"] == 1 and got["replayed_answers"] == 1
    assert got["retried_bookings"] == 2 and got["orphan_bookings"] == 0


def test_rows_nobody_was_told_about_beyond_the_unanswered_are_duplicates():
    answered_late = booking(Attempt(0, error="ConnectionResetError", ambiguous=True), ok("b1"))
    never = booking(Attempt(0, error="ConnectionResetError", ambiguous=True))
    refused = booking(Attempt(0, error="ConnectionRefusedError"))
    got = judge.retry_checks([answered_late, never, refused], {"b1", "x1", "x2"})
    assert (got["orphan_bookings"], got["unanswered_ambiguous"]) == (2, 1)
    assert got["duplicate_on_retry"] == 1 and got["gave_up"] == 2


def test_recovery_counts_from_the_lift():
    rows = [row(1, "pending_payment", created=5, updated=6),     # before the fault
            row(2, "pending_payment", created=11, updated=31),   # during: held 11 s after lift
            row(3, "failed", reason=NOT_ENOUGH, created=12, updated=40),
            row(4, "pending_payment", created=25, updated=26)]   # after the component was back
    got = judge.recovery(rows, injected=10, lifted=20, restored=22)
    assert got == {"recovery_first_s": 6.0, "recovery_all_s": 20.0}
    stuck = judge.recovery([*rows, row(5, "processing", created=15)], 10, 20, 22)
    assert stuck["recovery_all_s"] is None
    assert judge.bound_checks(stuck, 10, 30) == {"recovery_first_over_bound": 0,
                                                  "recovery_all_over_bound": 1}


def test_violations_keep_only_the_nonzero_checks():
    figures = {k: 0 for k in judge.VIOLATION_KEYS} | {"lost_bookings": 2, "bookings_sent": 9}
    assert judge.violations(figures) == {"lost_bookings": 2}


def test_scenario_choice_and_short_timing():
    assert [s.name for s in chosen(None, short=True)] == ["consumer-kill-5s", "kvrocks-flush"]
    flush = chosen(["kvrocks-flush"], short=True)[0]
    assert flush.load_seconds(SHORT) == 20.0


def test_the_markdown_row_names_the_violations():
    s = {"name": "api-kill", "bookings_sent": 10, "bookings_accepted": 9,
         "failed_by_reason": {"SeatConflict: …": 2}, "responses_by_status": {"202": 9, "500": 1},
         "connection_errors": {"ConnectionRefusedError": 3}, "recovery_first_s": 4.2,
         "recovery_all_s": None, "bounds": {"first_s": 60, "all_s": 60}, "passed": False,
         "violations": {"bad_5xx": 1, "recovery_all_over_bound": 1}}
    line = report.row(s)
    assert "| 10 | 9 | 2: SeatConflict: … 2 |" in line
    assert "500 1 (ConnectionRefusedError 3)" in line and "4.2 / never (60 / 60)" in line
    assert line.endswith("FAIL: bad_5xx 1, recovery_all_over_bound 1 |")


def test_the_client_side_sabotage_makes_its_check_fire():
    from deploy.chaos.load import LoadResult
    from deploy.chaos.sabotage import observations

    def result() -> LoadResult:
        return LoadResult([booking(ok("b1"))], 0, 0.0, 0.0)

    broken = result()
    assert "plain-text 500" in observations("http500", broken)
    attempts = [a for b in broken.bookings for a in b.attempts]
    assert judge.response_checks(attempts)["bad_5xx"] == 1
    doubled = result()
    assert "also answered" in observations("duplicate", doubled)
    assert judge.retry_checks(doubled.bookings, {"b1"})["duplicate_on_retry"] == 1
