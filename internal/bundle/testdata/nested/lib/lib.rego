package lib

yes := true
