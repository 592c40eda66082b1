using Xunit.Abstractions;

namespace Berth.Tests.Conformance;

/// <summary>The shared parser corpus, one test per case or row; known failures must keep failing.</summary>
public sealed class ParserConformanceTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> PositiveCases() => ParserConformanceCases.Ids("dockerfile-parser/");
    public static IEnumerable<object[]> NegativeCases() => ParserConformanceCases.Ids("dockerfile-parser-negative/");
    public static IEnumerable<object[]> HeredocExtractRows() => ParserConformanceCases.Ids("dockerfile-parser-heredoc/extract#");
    public static IEnumerable<object[]> HeredocJsonFormRows() => ParserConformanceCases.Ids("dockerfile-parser-heredoc/json-form#");
    public static IEnumerable<object[]> HeredocWordRows() => ParserConformanceCases.Ids("dockerfile-parser-heredoc/heredoc-words.tsv#");
    public static IEnumerable<object[]> HeredocLineRows() => ParserConformanceCases.Ids("dockerfile-parser-heredoc/heredoc-lines.tsv#");
    public static IEnumerable<object[]> ChompRows() => ParserConformanceCases.Ids("dockerfile-parser-heredoc/chomp.jsonl#");
    public static IEnumerable<object[]> DirectiveRows() => ParserConformanceCases.Ids("dockerfile-parser-directives/directives.jsonl#");
    public static IEnumerable<object[]> LineNumberCases() => ParserConformanceCases.Ids("dockerfile-parser-misc/line-numbers");
    public static IEnumerable<object[]> EmptyContinuationCases() => ParserConformanceCases.Ids("dockerfile-parser-misc/empty-continuation-warning");
    public static IEnumerable<object[]> LineTooLongCases() => ParserConformanceCases.Ids("dockerfile-parser-misc/line-too-long");
    public static IEnumerable<object[]> JsonArrayRows() => ParserConformanceCases.Ids("dockerfile-parser-misc/json-arrays.jsonl#");
    public static IEnumerable<object[]> ParseWordsRows() => ParserConformanceCases.Ids("dockerfile-parser-misc/parse-words.jsonl#");
    public static IEnumerable<object[]> NameValueRows() => ParserConformanceCases.Ids("dockerfile-parser-misc/name-value.jsonl#");

    [Theory, MemberData(nameof(PositiveCases))]
    public void Positive_case_dumps_to_its_result(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(NegativeCases))]
    public void Negative_case_fails_to_parse(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(HeredocExtractRows))]
    public void Heredoc_extract_row_matches(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(HeredocJsonFormRows))]
    public void Heredoc_json_form_row_has_no_heredocs(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(HeredocWordRows))]
    public void Heredoc_word_row_matches(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(HeredocLineRows))]
    public void Heredoc_line_row_matches(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(ChompRows))]
    public void Chomp_row_matches(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(DirectiveRows))]
    public void Directive_row_matches(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(LineNumberCases))]
    public void Line_numbers_match(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(EmptyContinuationCases))]
    public void Empty_continuation_warnings_match(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(LineTooLongCases))]
    public void Line_too_long_is_rejected(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(JsonArrayRows))]
    public void Json_array_row_matches(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(ParseWordsRows))]
    public void Parse_words_row_matches(string id) => ParserConformanceCases.Run(id);

    [Theory, MemberData(nameof(NameValueRows))]
    public void Name_value_row_matches(string id) => ParserConformanceCases.Run(id);

    [Fact]
    public void Corpus_is_found()
    {
        Assert.True(ParserConformanceCorpus.Root is not null, ParserConformanceCorpus.MissingMessage);
    }

    [Fact]
    public void Summary_counts_passing_cases_per_folder_and_only_known_failures_fail()
    {
        ParserConformanceCorpus.RequireRoot();
        var known = ParserConformanceCorpus.KnownFailures;
        var unexpected = new List<string>();
        int total = 0, passedTotal = 0;
        foreach (var group in ParserConformanceCases.All.GroupBy(c => c.Folder))
        {
            int passed = 0, count = 0;
            foreach (var c in group)
            {
                count++;
                try
                {
                    c.Check();
                    passed++;
                    if (known.ContainsKey(c.Id)) unexpected.Add($"{c.Id}: passes but is listed as a known failure");
                }
                catch (Exception e)
                {
                    if (!known.ContainsKey(c.Id)) unexpected.Add($"{c.Id}: {e.Message.Split('\n')[0]}");
                }
            }
            output.WriteLine($"{group.Key}: {passed}/{count} pass");
            total += count;
            passedTotal += passed;
        }
        foreach (var id in known.Keys)
        {
            if (!ParserConformanceCases.All.Any(c => c.Id == id)) unexpected.Add($"{id}: listed in known-failures.txt but no such case");
        }
        output.WriteLine($"parser conformance: {passedTotal}/{total} pass, {known.Count} known failures");
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
    }
}
