"""The plan's text, word for word (plan/v1-launch-plan.md, Task 3, Task 6, Launch Day
Procedure, Post-Launch Monitoring, Phase Exit Criteria, V1 Success Metrics).

Kept in the repository so the portal never reads the shared plan file at runtime.
Keys are stable: bootstrap upserts by key, so editing a text here updates the row
in place and keeps its status, owner, evidence and history.
"""

# (category, [(key, text, verifier key or None, required for launch)])
CHECKLIST: list[tuple[str, list[tuple[str, str, str | None, bool]]]] = [
    ("Code Quality", [
        ("cq-phases-complete", "All phases 1-7 complete", None, True),
        ("cq-test-coverage", "Test coverage >80%", "bot_test_coverage", True),
        ("cq-no-critical-bugs", "No critical bugs", None, True),
        ("cq-security-audit", "Security audit passed", "security_audit", True),
        ("cq-code-review", "Code review complete", "bot_code_review", True),
    ]),
    ("Infrastructure", [
        ("infra-servers-ready", "Production servers ready", None, True),
        ("infra-db-consolidated", "Database consolidated (≤3 DBs)", "database_consolidated", True),
        ("infra-monitoring-configured", "Monitoring configured", "monitoring_configured", True),
        ("infra-backups-automated", "Backups automated", "backups_automated", True),
        ("infra-ssl-valid", "SSL certificates valid", "ssl_certificates_valid", True),
    ]),
    ("Features", [
        ("feat-demo", "`/demo` bot 100% functional", "feature_demo", True),
        ("feat-vibe", "`/vibe` command working", "feature_vibe", True),
        ("feat-bags", "bags.fm integration verified", "feature_bags", True),
        ("feat-tpsl", "TP/SL mandatory on all trades", "feature_tpsl", True),
        ("feat-websocket", "WebSocket streaming operational", "feature_websocket", True),
    ]),
    ("Documentation", [
        ("doc-user-guide", "User guide complete", "docs_user_guide", True),
        ("doc-api", "API docs published", "docs_api_reference", True),
        ("doc-runbook", "Runbook ready", "docs_runbook", True),
        ("doc-faq", "FAQ answers common questions", None, True),
    ]),
    ("Operations", [
        ("ops-on-call", "On-call rotation set up", None, True),
        ("ops-incident-plan", "Incident response plan", None, True),
        ("ops-rollback", "Rollback procedure tested", "rollback_rehearsed", True),
        ("ops-support", "Support channels configured", None, True),
    ]),
    ("Compliance", [
        ("comp-tos", "Terms of Service published", None, True),
        ("comp-privacy", "Privacy policy published", None, True),
        ("comp-risk", "Risk disclaimers clear", None, True),
    ]),
    ("Final Verification", [
        ("final-e2e", "End-to-end test passed", None, True),
        ("final-load", "Load test passed", "load_test_passed", True),
        ("final-security-scan", "Security scan clean", "security_scan_clean", True),
        ("final-benchmarks", "Performance benchmarks met", "performance_benchmarks", True),
    ]),
    ("Deployment Checklist", [
        ("deploy-env", "Environment variables set", "environment_configured", True),
        ("deploy-migrated", "Database migrated", "database_migrated", True),
        ("deploy-secrets", "Secrets configured", "secrets_configured", True),
        ("deploy-api-keys", "API keys valid", "api_keys_valid", True),
        ("deploy-health", "Health check passing", "health_check", True),
        ("deploy-monitoring", "Monitoring active", "scheduler_running", True),
    ]),
    ("Phase Exit Criteria", [
        ("exit-monitoring", "All monitoring operational", "monitoring_operational", True),
        ("exit-docs", "Documentation complete", "docs_built", True),
        ("exit-staging", "Staging deployment successful", "staging_deployed", True),
        ("exit-backup-recovery", "Backup & recovery tested", "restore_tested", True),
        ("exit-checklist-100", "V1 Launch Checklist 100%", "checklist_complete", True),
        # The decision itself is the outcome of readiness, not an input to it: it
        # is ticked (with the decision as evidence) when an Admin records a GO.
        ("exit-go", "GO/NO-GO decision: GO ✅", "go_recorded", False),
    ]),
]

# Launch Day Procedure: (label, offset from launch in minutes, text, automated)
LAUNCH_STEPS: list[tuple[str, int, str, bool]] = [
    ("T-24h", -24 * 60, "Final staging test", False),
    ("T-12h", -12 * 60, "Database backup", True),
    ("T-6h", -6 * 60, "Deploy to production", False),
    ("T-4h", -4 * 60, "Smoke tests", False),
    ("T-2h", -2 * 60, "Monitor for issues", False),
    ("T-0", 0, "Announce launch 🚀", False),
    ("T+1h", 60, "First user onboarding", False),
    ("T+24h", 24 * 60, "Post-launch review", False),
]

# Post-Launch Monitoring: the checks of each review, and the /metrics keys that
# pre-fill the numbers each check asks for.
DAILY_REVIEW: list[tuple[str, list[str]]] = [
    ("Check error rates", ["error_rate"]),
    ("Review user feedback", []),
    ("Monitor transaction success", ["trade_success_rate", "trades_24h"]),
    ("Verify TP/SL triggers", ["tp_triggers_24h", "sl_triggers_24h", "tp_sl_trigger_rate",
                               "trades_without_tpsl_24h"]),
]
WEEKLY_REVIEW: list[tuple[str, list[str]]] = [
    ("Performance review", ["confirmation_ms", "vibe_p95_ms_24h", "uptime_30d"]),
    ("Bug triage", []),
    ("User satisfaction survey", []),
    ("Revenue/fees review", ["partner_fees_sol_24h", "bags_share_24h"]),
]
REVIEW_DAYS = 30

# V1 Success Metrics (First 30 Days):
# (key, group, text, source, comparator, target, unit, error budget applies)
# source: "metrics:<key>" (a /metrics key, dotted for nested), "scan:<field>" (the
# newest fresh scan of the bot's repository), "ci:coverage" (the bot's CI), or None
# (entered by hand with a source). A measured metric is never entered by hand.
SUCCESS_METRICS: list[tuple[str, str, str, str | None, str, float | None, str, bool]] = [
    ("uptime", "Reliability", "99.9% uptime", "window30:uptime", "ge", 0.999, "ratio",
     True),
    ("trade-error-rate", "Reliability", "<1% trade execution error rate",
     "window30:trade_error_rate", "lt", 0.01, "ratio", True),
    ("security-incidents", "Reliability", "Zero critical security incidents", None, "eq", 0,
     "count", False),
    ("confirmation-p95", "Performance", "<500ms transaction confirmation (p95)",
     "window30:confirmation_p95_ms", "lt", 500, "ms", False),
    ("databases", "Performance", "≤3 databases in production", "scan:data_store_count", "le",
     3, "count", False),
    ("sleep-calls", "Performance", "<100 total sleep() calls", "scan:sleep_calls", "lt", 100,
     "count", False),
    ("demo-success", "User Experience", "100% /demo trade success rate",
     "window30:demo_success_rate", "ge", 1.0, "ratio", False),
    ("vibe-latency", "User Experience", "<2s /vibe response time", "window30:vibe_p95_ms",
     "lt", 2000, "ms", False),
    ("clear-errors", "User Experience", "Clear error messages (no raw exceptions)", None, "eq",
     1, "yes/no", False),
    ("coverage", "Code Quality", "80%+ test coverage", "ci:coverage", "ge", 0.8, "ratio",
     False),
    ("file-size", "Code Quality", "No files >1000 lines (post-refactor)",
     "scan:files_over_1000", "eq", 0, "count", False),
    ("linting", "Code Quality", "All linting errors fixed", "scan:lint_errors", "eq", 0, "count",
     False),
    ("bags-share", "Business", "bags.fm usage >80% of trades", "window30:bags_share", "gt",
     0.8, "ratio", False),
    ("partner-fees", "Business", "Partner fees collected and tracked", None, "eq", 1, "yes/no",
     False),
    ("retention", "Business", "User retention >50% (week 1 → week 4)", None, "gt", 0.5,
     "ratio", False),
]
