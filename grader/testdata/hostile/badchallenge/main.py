print("never run: the challenge it names does not exist")
