// The `embedrating` executable: every command is in cli.cpp.
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) { return embedrating::cli::run(argc, argv, std::cout, std::cerr); }
