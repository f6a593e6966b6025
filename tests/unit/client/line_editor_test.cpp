#include "line_editor.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <sstream>
#include <string>

namespace lanchat::client {
namespace {

// A LineEditor reading keys from a pipe, as it would from a terminal in raw mode.
class LineEditorTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(pipe(fds_), 0);
        editor_ = std::make_unique<LineEditor>(fds_[0], screen_, true);
    }
    void TearDown() override {
        close(fds_[0]);
        if (fds_[1] >= 0) close(fds_[1]);
    }
    void type(const std::string& keys) { ASSERT_EQ(write(fds_[1], keys.data(), keys.size()), ssize_t(keys.size())); }
    void end_input() {
        close(fds_[1]);
        fds_[1] = -1;
    }

    int fds_[2] = {-1, -1};
    std::ostringstream screen_;
    std::unique_ptr<LineEditor> editor_;
};

TEST_F(LineEditorTest, EnterHandsOverTheLineAndClearsItInsteadOfEchoingItAgain) {
    editor_->set_prompt("#general> ");
    type("hello\r");
    EXPECT_EQ(editor_->read_line(), "hello");
    EXPECT_EQ(screen_.str().substr(screen_.str().size() - 5), "\r\x1b[2K");  // the typed line is gone
}

TEST_F(LineEditorTest, BackspaceRemovesWholeCharactersAndCtrlUTheLine) {
    type(
        "caf\xc3\xa9\x7f\x7f"
        "e!\r");
    EXPECT_EQ(editor_->read_line(), "cae!");
    type("all of this\x15kept\r");
    EXPECT_EQ(editor_->read_line(), "kept");
}

TEST_F(LineEditorTest, ArrowKeysAndOtherControlKeysAreIgnored) {
    type(
        "a\x1b[A\x1b[D\x1bOB\x02\x7"
        "b\r");
    EXPECT_EQ(editor_->read_line(), "ab");
}

TEST_F(LineEditorTest, APrintedLineGoesAboveTheInputLineWhichIsDrawnAgain) {
    editor_->set_prompt("> ");
    type("draft\r");
    editor_->print("[general #4] bob: hi");
    EXPECT_NE(screen_.str().find("\r\x1b[2K[general #4] bob: hi\n\r\x1b[2K> "), std::string::npos);
    EXPECT_EQ(editor_->read_line(), "draft");
}

TEST_F(LineEditorTest, CtrlLClearsTheScreenAndRedrawsTheRecentLinesAndTheInput) {
    editor_->set_rows(3);
    editor_->set_prompt("> ");
    for (const char* line : {"one", "two", "three"}) editor_->print(line);
    type("half\x0c");
    type(" done\r");
    EXPECT_EQ(editor_->read_line(), "half done");
    const std::string shown = screen_.str();
    size_t cleared = shown.rfind("\x1b[H\x1b[2J");
    ASSERT_NE(cleared, std::string::npos);
    const std::string redrawn = "\x1b[H\x1b[2Jtwo\nthree\n\r\x1b[2K> half";  // what fits in 3 rows
    EXPECT_EQ(shown.substr(cleared, redrawn.size()), redrawn);
}

TEST_F(LineEditorTest, CtrlDOnAnEmptyLineCtrlCAndTheEndOfInputEndTheChat) {
    type("\x04");
    EXPECT_EQ(editor_->read_line(), std::nullopt);
    type("typed\x03");
    EXPECT_EQ(editor_->read_line(), std::nullopt);
    type("unfinished");
    end_input();
    EXPECT_EQ(editor_->read_line(), std::nullopt);
}

}  // namespace
}  // namespace lanchat::client
