// Command compileerror is a test fixture that does not compile.
package main

func main() {
	println(notDeclared)
}
