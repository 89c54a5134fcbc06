#!/usr/bin/env python3
"""Where an SMTP server's time goes under parallel load: the median and worst time of each step.

Runs inside a client container (bench/mailpath.py keeps vmail-bench-client with --reuse):

    podman cp bench/smtp_steps.py vmail-bench-client:/tmp/ &&
    podman exec vmail-bench-client python3 /tmp/smtp_steps.py 10.89.82.11 someone@tiengiang.gov.vn

20 threads each send 10 messages of about 3.6 KB, one SMTP session per message, and time
connect (to the banner), EHLO, MAIL, RCPT, DATA (to the 250 reply) and QUIT. A connect
near 5 s is a resolver timeout (the server's reverse lookup); a DATA near 1 s multiples is
Postfix's in_flow_delay. Prints; writes nothing.
"""
import smtplib, time, sys, threading, statistics
host = sys.argv[1]; rcpt = sys.argv[2]
steps = []
def one(i):
    for k in range(10):
        msg = f"From: bench@example.net\r\nTo: {rcpt}\r\nSubject: t\r\nMessage-ID: <{i}.{k}.{time.time()}@client.example.net>\r\n\r\n" + ("hello world " * 300) + "\r\n"
        t = [time.perf_counter()]
        s = smtplib.SMTP(host, 25, timeout=60); t.append(time.perf_counter())
        s.ehlo("client.example.net"); t.append(time.perf_counter())
        s.mail("bench@example.net"); t.append(time.perf_counter())
        s.rcpt(rcpt); t.append(time.perf_counter())
        s.data(msg.encode()); t.append(time.perf_counter())
        s.quit(); t.append(time.perf_counter())
        steps.append([b - a for a, b in zip(t, t[1:])])
t0 = time.perf_counter()
ts = [threading.Thread(target=one, args=(i,)) for i in range(20)]
[t.start() for t in ts]; [t.join() for t in ts]
el = time.perf_counter() - t0
print(host, f"{len(steps)/el:.1f} msg/s", "median per step (connect, ehlo, mail, rcpt, data, quit):", ["%.3f" % statistics.median(s[j] for s in steps) for j in range(6)], "max:", ["%.3f" % max(s[j] for s in steps) for j in range(6)])
