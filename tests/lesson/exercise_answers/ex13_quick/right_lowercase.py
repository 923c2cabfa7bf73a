# Right: lower case, with spaces around it.
quick_check = " c "
