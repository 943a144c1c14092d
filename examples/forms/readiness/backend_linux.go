package main

const backend = "epoll"
