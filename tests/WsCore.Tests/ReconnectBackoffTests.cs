using WsCore.Closing;

namespace WsCore.Tests;

/// <summary>Exponential backoff with full jitter: delay ∈ [0, min(cap, base·2^attempt)).</summary>
public class ReconnectBackoffTests
{
    private static readonly TimeSpan Base = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 200)]
    [InlineData(2, 400)]
    [InlineData(8, 25_600)]
    [InlineData(9, 30_000)]
    [InlineData(62, 30_000)]
    [InlineData(63, 30_000)]
    [InlineData(64, 30_000)]
    [InlineData(int.MaxValue, 30_000)]
    [InlineData(-5, 100)]
    public void Window_doubles_until_the_cap_without_overflow(int attempt, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), ReconnectBackoff.GetWindow(attempt, Base, Cap));
    }

    [Fact]
    public void Window_edge_cases()
    {
        Assert.Equal(TimeSpan.Zero, ReconnectBackoff.GetWindow(10, TimeSpan.Zero, Cap));
        Assert.Equal(Cap, ReconnectBackoff.GetWindow(0, TimeSpan.FromMinutes(5), Cap));
        Assert.Equal(TimeSpan.MaxValue, ReconnectBackoff.GetWindow(int.MaxValue, TimeSpan.FromTicks(1), TimeSpan.MaxValue));
        Assert.Equal(TimeSpan.FromTicks(1L << 62), ReconnectBackoff.GetWindow(62, TimeSpan.FromTicks(1), TimeSpan.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReconnectBackoff.GetWindow(0, TimeSpan.FromTicks(-1), Cap));
    }

    [Fact]
    public void Delays_stay_in_the_window_for_every_attempt()
    {
        var random = new Random(1234);
        for (int attempt = 0; attempt < 200; attempt++)
        {
            TimeSpan window = ReconnectBackoff.GetWindow(attempt, Base, Cap);
            for (int i = 0; i < 50; i++)
            {
                TimeSpan d = ReconnectBackoff.GetDelay(attempt, Base, Cap, random);
                Assert.InRange(d, TimeSpan.Zero, window - TimeSpan.FromTicks(1));
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(20)]
    public void Full_jitter_spreads_uniformly_over_the_window(int attempt)
    {
        var random = new Random(42);
        const int n = 20_000;
        double window = ReconnectBackoff.GetWindow(attempt, Base, Cap).Ticks;
        double sum = 0, min = double.MaxValue, max = 0;
        int lowerHalf = 0;
        for (int i = 0; i < n; i++)
        {
            double d = ReconnectBackoff.GetDelay(attempt, Base, Cap, random).Ticks;
            sum += d;
            min = Math.Min(min, d);
            max = Math.Max(max, d);
            if (d < window / 2) lowerHalf++;
        }
        double mean = sum / n;
        // Uniform on [0, w): mean w/2 (std of the mean ≈ w/sqrt(12n) ≈ 0.002w), covering nearly all of the range.
        Assert.InRange(mean / window, 0.48, 0.52);
        Assert.True(min / window < 0.01, $"min {min / window}");
        Assert.True(max / window > 0.99, $"max {max / window}");
        Assert.InRange(lowerHalf, n * 0.47, n * 0.53);
    }

    [Fact]
    public void Seeded_randomness_is_reproducible_and_unit_sample_maps_the_window()
    {
        TimeSpan a = ReconnectBackoff.GetDelay(4, Base, Cap, new Random(7));
        TimeSpan b = ReconnectBackoff.GetDelay(4, Base, Cap, new Random(7));
        Assert.Equal(a, b);
        Assert.Equal(TimeSpan.Zero, ReconnectBackoff.GetDelay(4, Base, Cap, 0.0));
        Assert.Equal(TimeSpan.FromMilliseconds(800), ReconnectBackoff.GetDelay(4, Base, Cap, 0.5));
        Assert.Equal(TimeSpan.FromMilliseconds(1600) - TimeSpan.FromTicks(1), ReconnectBackoff.GetDelay(4, Base, Cap, 1.0));
        Assert.Equal(TimeSpan.Zero, ReconnectBackoff.GetDelay(4, Base, Cap, double.NaN));
    }
}
