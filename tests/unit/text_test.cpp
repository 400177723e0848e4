// messages/text.hpp's words for people: counts with their nouns, and how often.
#include <gtest/gtest.h>

#include "messages/text.hpp"

TEST(Text, CountedTakesThePluralExceptForOne) {
  EXPECT_EQ(paios::counted(0, "job"), "0 jobs");
  EXPECT_EQ(paios::counted(1, "job"), "1 job");
  EXPECT_EQ(paios::counted(2, "job"), "2 jobs");
  EXPECT_EQ(paios::counted(1, "entry", "entries"), "1 entry");
  EXPECT_EQ(paios::counted(3, "entry", "entries"), "3 entries");
}

TEST(Text, TimesSaysOnceAndTwice) {
  EXPECT_EQ(paios::times(0), "0 times");
  EXPECT_EQ(paios::times(1), "once");
  EXPECT_EQ(paios::times(2), "twice");
  EXPECT_EQ(paios::times(7), "7 times");
}
