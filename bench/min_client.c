/* The floor for `ai ping`: the smallest C program that does what `ai ping` does on the wire (connect a DEALER
 * to paiosd's ipc endpoint, send one ping, wait for the pong) and exits. bench/run.sh times both side by side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: min_client ipc:///path/to/paiosd.sock\n");
    return 2;
  }
  void* ctx = zmq_ctx_new();
  void* s = zmq_socket(ctx, ZMQ_DEALER);
  int zero = 0;
  zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
  if (zmq_connect(s, argv[1]) != 0) return 3;
  const char* ping = "{\"v\":1,\"op\":\"ping\",\"id\":\"1\"}";
  zmq_send(s, ping, strlen(ping), 0);
  char buf[512];
  zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
  if (zmq_poll(&item, 1, 5000) != 1) return 3;
  int n = zmq_recv(s, buf, sizeof buf - 1, 0);
  zmq_close(s);
  zmq_ctx_term(ctx);
  return n > 0 && strstr(buf, "pong") ? 0 : 1;
}
