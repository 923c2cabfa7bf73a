# Wrong: option A.
# Message: Not the best answer
quick_check = "A"
