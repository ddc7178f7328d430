import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One point of the chart: an optimizer's loss or test accuracy after an epoch. */
export interface ChartPoint {
  /** `LARS` or `momentum SGD`. */
  readonly optimizer: string;
  /** 1-based epoch. */
  readonly epoch: number;
  /** `training loss` or `test accuracy`. */
  readonly metric: string;
  /** Its value. */
  readonly value: number;
}

/** The vega-lite spec: one panel per metric, a line per optimizer; the points arrive later in the `points` data set. */
const SPEC: TopLevelSpec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  data: { name: 'points' },
  facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['training loss', 'test accuracy'] } },
  spec: {
    width: 420,
    height: 260,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
      color: { field: 'optimizer', type: 'nominal', legend: { orient: 'bottom', title: null } },
      tooltip: [{ field: 'optimizer' }, { field: 'epoch' }, { field: 'value', format: '.4f' }],
    },
  },
  resolve: { scale: { y: 'independent' } },
};

/** A live chart of loss and test accuracy per epoch, drawn as SVG into `container`. */
export class EpochChart {
  private readonly view: vega.View;

  constructor(container: HTMLElement) {
    this.view = new vega.View(vega.parse(compile(SPEC).spec), { renderer: 'svg', container, hover: true });
  }

  /** Draws the chart (empty) for the first time. */
  async start(): Promise<void> {
    await this.view.runAsync();
  }

  /** Adds points and redraws. */
  async add(points: ChartPoint[]): Promise<void> {
    await this.view.change('points', vega.changeset().insert(points.map((p) => ({ ...p })))).resize().runAsync();
  }

  /** Removes every point. */
  async clear(): Promise<void> {
    await this.view.change('points', vega.changeset().remove(() => true)).runAsync();
  }
}
