# Wrong: the whole option written out instead of its letter.
# Message: answer with one of
quick_check = "C. Training rewards fluent, confident continuations"
