using Berth.Cli.Formatting;

namespace Berth.Tests.Formatting;

// docker/cli's tabwriter.NewWriter(out, 10, 1, 3, ' ', 0): minwidth 10, padding 3, last cell unpadded.
public class TableWriterTests
{
    [Fact]
    public void Columns_are_padded_to_widest_cell_plus_three_with_minimum_ten()
    {
        string text = "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n" +
                      "busybox\tlatest\t3f57d9401f8d\t2 weeks ago\t4.26MB\n" +
                      "localhost:5000/a/b\t1.0\tabcdefabcdef\t3 months ago\t77.8MB\n";
        string expected =
            "REPOSITORY           TAG       IMAGE ID       CREATED        SIZE\n" +
            "busybox              latest    3f57d9401f8d   2 weeks ago    4.26MB\n" +
            "localhost:5000/a/b   1.0       abcdefabcdef   3 months ago   77.8MB\n";
        Assert.Equal(expected, TableWriter.Format(text));
    }

    [Fact]
    public void The_last_cell_is_not_padded_even_when_empty_cells_precede_it()
        => Assert.Equal("a         \n", TableWriter.Format("a\t\n"));

    [Fact]
    public void A_trailing_tab_makes_the_last_column_a_real_column()
        => Assert.Equal("ab        cd        \nx         y         \n", TableWriter.Format("ab\tcd\t\nx\ty\t\n"));

    [Fact]
    public void Lines_with_fewer_cells_end_the_column_block()
    {
        // Column 1 exists only on lines 1-2; line 3 starts a new block for column 0 as well.
        string text = "a\tb\tc\naaaaaaaaaaaa\tbb\tc\nno tabs here\nx\ty\n";
        string expected =
            "a              b         c\n" +
            "aaaaaaaaaaaa   bb        c\n" +
            "no tabs here\n" +
            "x         y\n";
        Assert.Equal(expected, TableWriter.Format(text));
    }

    [Fact]
    public void Column_blocks_are_per_column_index()
    {
        // Line 2 has only one column cell, so column 1's width comes from line 1 and 3 separately.
        string text = "a\tbbbbbbbbbbbbbbb\tc\nd\te\nf\tg\th\n";
        string expected =
            "a         bbbbbbbbbbbbbbb   c\n" +
            "d         e\n" +
            "f         g         h\n";
        Assert.Equal(expected, TableWriter.Format(text));
    }

    [Fact]
    public void Widths_count_runes_not_utf16_units()
        => Assert.Equal("🐳         x\nab        y\n", TableWriter.Format("🐳\tx\nab\ty\n"));

    [Fact]
    public void A_partial_last_line_is_written_on_flush_without_newline()
        => Assert.Equal("a         b\nc         d", TableWriter.Format("a\tb\nc\td"));

    [Fact]
    public void Custom_settings_are_honoured()
        => Assert.Equal("a  bb\nccc  d\n".Replace("a  bb", "a    bb"), TableWriter.Format("a\tbb\nccc\td\n", minWidth: 0, padding: 2));

    [Fact]
    public void WriteRow_joins_cells_with_tabs()
    {
        var sw = new StringWriter();
        var tw = new TableWriter(sw);
        tw.WriteRow("NAME", "DRIVER");
        tw.WriteRow("vol1", "local");
        tw.Flush();
        Assert.Equal("NAME      DRIVER\nvol1      local\n", sw.ToString());
    }

    [Fact]
    public void Writes_split_across_calls_are_buffered_until_flush()
    {
        var sw = new StringWriter();
        var tw = new TableWriter(sw);
        tw.Write("ID\tNA");
        tw.Write("ME\n1\tverylongname\n");
        Assert.Equal("", sw.ToString());
        tw.Flush();
        Assert.Equal("ID        NAME\n1         verylongname\n", sw.ToString());
    }
}
