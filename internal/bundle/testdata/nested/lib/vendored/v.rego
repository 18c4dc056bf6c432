package vendored

v := 1
