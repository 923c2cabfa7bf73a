# Wrong: two letters.
# Message: one of
quick_check = "C, D"
