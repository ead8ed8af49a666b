# A solution that imports a module of its own the learner forgot to add:
# its ModuleNotFoundError is the learner's failure (exit 1), not the machine's.
import orderlib  # noqa: F401
