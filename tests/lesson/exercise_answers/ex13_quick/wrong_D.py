# Wrong: option D.
# Message: best answer|hallucinat
quick_check = "D"
