#include "cstrings.h"

#include <stdlib.h>
#include <string.h>

struct word_list* word_list_new(void) { return calloc(1, sizeof(struct word_list)); }

void word_list_add(struct word_list* list, const char* word) {
  if (list->count == list->capacity) {
    list->capacity = list->capacity ? list->capacity * 2 : 2;
    list->words = realloc(list->words, sizeof(char*) * (size_t)list->capacity);
  }
  list->words[list->count++] = strdup(word);
}

char* word_list_join(const struct word_list* list, const char* separator) {
  size_t n = 1;
  for (int i = 0; i < list->count; ++i) n += strlen(list->words[i]) + strlen(separator);
  char* out = malloc(n);
  out[0] = 0;
  for (int i = 0; i < list->count; ++i) {
    if (i) strcat(out, separator);
    strcat(out, list->words[i]);
  }
  return out;
}
