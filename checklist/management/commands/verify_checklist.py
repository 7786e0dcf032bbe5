from django.core.management.base import BaseCommand

from checklist.services.verification import checklist_verify

MARK = {True: "PASS", False: "FAIL", None: "----"}


class Command(BaseCommand):
    help = "Run every automated checklist verifier; print per-item results and GO or NO-GO."

    def handle(self, *args, **options):
        result = checklist_verify()
        for o in result["outcomes"]:
            change = {"done": " → done", "stale": " → back to todo (stale)"}.get(o.change, "")
            self.stdout.write(f"{MARK[o.passed]}  [{o.item.category}] {o.item.text}: "
                              f"{o.detail}{change}")
        readiness = result["readiness"]
        self.stdout.write("")
        self.stdout.write(f"{readiness['percent_complete']}% of required items complete; "
                          f"{len(readiness['blockers'])} blocker(s)")
        for b in readiness["blockers"]:
            self.stdout.write(f"  blocker [{b['category']}] {b['item']}: {b['reason']}")
        if result["regressed"]:
            self.stdout.write(f"the recorded GO regressed: {result['regressed'].regression_reason}")
        self.stdout.write(result["summary"])
        style = self.style.SUCCESS if readiness["decision"] == "GO" else self.style.ERROR
        self.stdout.write(style(readiness["decision"]))
