# Wrong: option B.
# Message: Not the best answer
quick_check = "B"
