"""responder: assessment → cases and clocks (plans as data, deadline arithmetic, state machine,
escalation, notifications). Pure functions that take `now`; only responder.notify does I/O.

Modules: types, plans (load_plans), deadlines (due_at), cases (open_case, acknowledge, record_response,
dismiss, close, reopen, regrade, refresh), audit (replay), escalation (evaluate), notify (send), times.
Nothing is imported here, so importing the package does no work.
"""
