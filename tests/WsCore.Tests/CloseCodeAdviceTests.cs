using WsCore.Closing;

namespace WsCore.Tests;

/// <summary>Close-code guidance (RFC 6455 §7.4.1, IANA registry).</summary>
public class CloseCodeAdviceTests
{
    [Theory]
    [InlineData(1000, CloseCodeAdvice.Done)]
    [InlineData(1001, CloseCodeAdvice.ReconnectWithBackoff)]
    [InlineData(1006, CloseCodeAdvice.ReconnectWithBackoff)]
    [InlineData(1011, CloseCodeAdvice.ReconnectWithBackoff)]
    [InlineData(1012, CloseCodeAdvice.ReconnectWithBackoff)]
    [InlineData(1013, CloseCodeAdvice.ReconnectWithBackoff)]
    [InlineData(1014, CloseCodeAdvice.ReconnectWithBackoff)]
    [InlineData(1002, CloseCodeAdvice.StopAndReport)]
    [InlineData(1003, CloseCodeAdvice.StopAndReport)]
    [InlineData(1007, CloseCodeAdvice.StopAndReport)]
    [InlineData(1008, CloseCodeAdvice.StopAndReport)]
    [InlineData(1009, CloseCodeAdvice.StopAndReport)]
    [InlineData(1010, CloseCodeAdvice.StopAndReport)]
    [InlineData(1005, CloseCodeAdvice.NoStatus)]
    [InlineData(1015, CloseCodeAdvice.TlsFailure)]
    [InlineData(3000, CloseCodeAdvice.RegisteredByLibrary)]
    [InlineData(3999, CloseCodeAdvice.RegisteredByLibrary)]
    [InlineData(4000, CloseCodeAdvice.ApplicationDefined)]
    [InlineData(4999, CloseCodeAdvice.ApplicationDefined)]
    [InlineData(0, CloseCodeAdvice.Invalid)]
    [InlineData(999, CloseCodeAdvice.Invalid)]
    [InlineData(1004, CloseCodeAdvice.Invalid)]
    [InlineData(1016, CloseCodeAdvice.Invalid)]
    [InlineData(2999, CloseCodeAdvice.Invalid)]
    [InlineData(5000, CloseCodeAdvice.Invalid)]
    [InlineData(-1, CloseCodeAdvice.Invalid)]
    public void Advice_per_code(int code, CloseCodeAdvice expected)
    {
        Assert.Equal(expected, CloseCodeGuidance.GetAdvice(code));
        Assert.Equal(expected == CloseCodeAdvice.ReconnectWithBackoff, CloseCodeGuidance.ShouldReconnect(code));
        Assert.False(string.IsNullOrEmpty(CloseCodeGuidance.GetDescription(code)));
    }

    [Fact]
    public void Every_code_that_may_be_received_has_advice_other_than_invalid()
    {
        for (int code = 0; code < 70000; code++)
        {
            bool valid = CloseCodes.IsValidOnWire(code);
            CloseCodeAdvice advice = CloseCodeGuidance.GetAdvice(code);
            if (valid) Assert.NotEqual(CloseCodeAdvice.Invalid, advice);
        }
    }

    [Fact]
    public void Registered_codes_have_distinct_descriptions()
    {
        var seen = new HashSet<string>();
        for (int code = 1000; code <= 1015; code++)
        {
            if (code == 1004) continue;
            Assert.True(seen.Add(CloseCodeGuidance.GetDescription(code)), $"duplicate description for {code}");
        }
    }
}
