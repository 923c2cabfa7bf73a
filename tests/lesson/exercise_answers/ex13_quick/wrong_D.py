# Wrong: option D.
# Message: Not the best answer
quick_check = "D"
