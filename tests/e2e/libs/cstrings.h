/* A C library that allocates with malloc, calloc, realloc and strdup. */
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

struct word_list {
  char** words;
  int count, capacity;
};

struct word_list* word_list_new(void);
void word_list_add(struct word_list* list, const char* word);
char* word_list_join(const struct word_list* list, const char* separator);

#ifdef __cplusplus
}
#endif
