# Red team round 4: a learner's own module named like a standard one (here,
# the shapes of the JSON answer). The program never imports it, yet the
# grader's package check, `python3 -c "import importlib.util, sys; ..."`
# run in the solution's directory, imports it instead of the standard
# library's `types`: the check fails and the grade says the machine is at
# fault (exit 3), though the learner's file is.
Order = dict
User = dict
