"""What runs without a request: the worker's loop and the jobs on a clock (escalation,
reminders, missed visits, expiring certificates), which gather several domains."""
