#include "storage/checkpoint.h"
