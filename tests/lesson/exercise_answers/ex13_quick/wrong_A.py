# Wrong: option A.
# Message: best answer|hallucinat
quick_check = "A"
