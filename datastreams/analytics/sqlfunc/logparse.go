package sqlfunc

func addLogParse(l *Library) {}
