import time
print("starting up, very slowly", flush=True)
time.sleep(600)
