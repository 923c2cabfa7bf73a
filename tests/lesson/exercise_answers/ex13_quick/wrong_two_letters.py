# Wrong: two letters.
# Message: answer with one of
quick_check = "C, D"
