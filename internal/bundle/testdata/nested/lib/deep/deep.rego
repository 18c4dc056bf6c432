package lib.deep

x := 1
