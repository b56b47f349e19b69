-- wrk script: every request books a deposit through the sandbox's control API.
wrk.method = "POST"
wrk.body = '{"type": "deposit", "currency": "USDTERC20", "amount": "1.000000"}'
