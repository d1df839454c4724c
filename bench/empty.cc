// The floor: process start to exit with nothing to build.
int main() { return 0; }
