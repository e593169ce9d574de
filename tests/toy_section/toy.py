"""A sixth section written outside mkreport: it reads the CNN grid's runs and counts them."""
from report.stats.summary import by_config

TITLE = "A toy section"
READS = ("cnn",)


def runs(config):
    return []


def summarize(records, analysis, settings):
    configs = by_config(records["cnn"])
    return {"configurations": len(configs), "runs": len(records["cnn"]),
            "accuracies": [c.final()[0] for c in configs]}


def figures(summary):
    from report.output import figures as draw

    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(3, 2))
    axis.bar(range(len(summary["accuracies"])), summary["accuracies"])
    return {"bars": draw.to_png(figure)}
