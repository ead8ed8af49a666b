package main

func main() { notDeclared() }
