#include "storage/wal_reader.h"
