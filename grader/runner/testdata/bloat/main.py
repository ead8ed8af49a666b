# A test fixture: uses more and more memory before it ever listens.
import time

kept = []
while True:
    kept.append(b"x" * (32 << 20))  # touched, so resident
    time.sleep(0.01)
